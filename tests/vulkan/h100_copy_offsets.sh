#!/bin/bash
# On the lent H100: device-local copy bandwidth against the destination's offset in its allocation
# (docs/PERF.md, Vulkan section: why copy of one large buffer set ran at ~1.7 TB/s).
B=.devbin-vulkan/spork_vkbench
for f in .gl/libvulkan1_*.deb .gl/libglvnd0_*.deb .gl/libglx0_*.deb .gl/libgl1_*.deb; do dpkg -x "$f" /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export SPORK_VK_MEMBW_PLACEMENTS=device-local SPORK_VK_MEMBW_OPS=copy
for off in 0 256 4096 69632 1052672 2101248 0; do
  SPORK_VK_MEMBW_DST_OFFSET=$off $B bench membw --backend vulkan --sizes 256,1024 --repeat 10 2>&1 |
    awk -v off=$off '/^vulkan .*membw-copy/ {for(i=1;i<=NF;i++) if($i=="membw-copy") print "dst_offset", off, $(i+1), $(i+2), $(i+3), "ms", $(i+5), "GB/s", $NF}'
done
