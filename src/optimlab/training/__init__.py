"""optimlab.training"""
