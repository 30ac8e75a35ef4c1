"""synthstem.noise"""
