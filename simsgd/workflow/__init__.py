"""Studies as a workflow: discover, simulate resumably, judge, save with provenance, plot in one style."""
