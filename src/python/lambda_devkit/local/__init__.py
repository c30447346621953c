"""Run the service locally without Docker: the packaged zips, Lambda's runtime client, moto."""
