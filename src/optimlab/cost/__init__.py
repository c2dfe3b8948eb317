"""optimlab.cost"""
