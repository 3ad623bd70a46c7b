"""What a seeker agreed to: the versions of a site's privacy policy and terms they accepted,
and their consent per purpose (both append-only, with the wording's version)."""
