# (report stage: being written)
