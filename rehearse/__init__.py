"""The Fargate task rehearsed locally: stand-in bases, the real Dockerfiles, a pod (make rehearse)."""
