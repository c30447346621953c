"""Deploy rehearsal: the SAM template plus the Pants-built zips, deployed to moto on loopback."""
