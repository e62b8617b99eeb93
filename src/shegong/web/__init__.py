"""Pages that are not a module's own: home, the desk/H5/dashboard shells and the role landing pages."""
