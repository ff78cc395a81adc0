"""The vocabulary every layer speaks: errors, statuses and their labels, text folding, money, validation,
the configuration.
"""
