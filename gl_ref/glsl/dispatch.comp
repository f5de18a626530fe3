#version 430
// The dispatch-overhead kernel: one small workgroup; invocation 0 counts the dispatch, so the
// host can check that all N back-to-back dispatches ran.
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer Counter { uint dispatches; };
void main() {
  if (gl_GlobalInvocationID.x == 0u) atomicAdd(dispatches, 1u);
}
