"""Evaluation of any face .h5 on LFW View 2 through the service's own pipeline, beside dlib's own."""
