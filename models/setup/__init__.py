"""Creating, upgrading, copying and filling a database: the schema, its migrations, the first run, the
demo.
"""
