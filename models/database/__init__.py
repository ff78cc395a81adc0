"""The database: the connection bound at run time, the base model, the hot paths' prepared writes."""
