"""synthstem.structures"""
