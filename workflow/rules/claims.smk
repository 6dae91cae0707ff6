# (claims stage: being written)
