# (figures stage: being written)
