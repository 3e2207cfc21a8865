import Roles
print("rig-worker")
