"""synthstem.physics"""
