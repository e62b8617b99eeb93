"""Users, roles, grants (user × division prefix × role × optional unit) and login security."""
