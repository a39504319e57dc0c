"""The relational database: models, engine factory and Alembic migrations.

Import the pieces from their modules (`convonet.db.models`, `convonet.db.engine`,
`convonet.db.migrate`); this package itself stays import-free so `convonet.db.models` can be
loaded without the engine and vice versa.
"""
