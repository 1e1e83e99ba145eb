"""The MkDocs plugin `postmortems`: a thin door from MkDocs events onto the core."""
