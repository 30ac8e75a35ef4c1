"""synthstem.commands"""
