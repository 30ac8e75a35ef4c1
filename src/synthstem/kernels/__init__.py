"""synthstem.kernels"""
