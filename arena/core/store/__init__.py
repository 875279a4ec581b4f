"""The content-addressed stores on the shared storage path: uploads, dataset files, outputs."""
