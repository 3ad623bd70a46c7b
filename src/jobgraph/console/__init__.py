"""The employer console: GraphiQL and the site settings screen, served from this package."""
