"""Publishers: deposit workflows and results with outside services (Zenodo, WorkflowHub, GCN, TNS)."""
