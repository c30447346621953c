"""Runs packaged Lambda zips locally the way AWS's python3.13 runtime lays them out."""
