"""The database: the connection bound at run time and the base model."""
