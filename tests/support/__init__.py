"""What the tests share: servers they start on loopback (llama.cpp's, MLflow, JupyterLab, a
scriptable fault server), process helpers, and the polling the browser tests use."""
