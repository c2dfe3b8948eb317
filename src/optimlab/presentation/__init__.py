"""optimlab.presentation"""
