"""synthstem.io"""
