"""The HTTP adaptation shared by every layer and by connexion: the specs and the route table, the error envelope,
security, limits, media types, body reading, the schema checks and connexion's validators."""
