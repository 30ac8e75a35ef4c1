"""synthstem.labels"""
