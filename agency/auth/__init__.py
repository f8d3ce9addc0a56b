"""Users, roles, login and logout, and the access check of each realm."""
