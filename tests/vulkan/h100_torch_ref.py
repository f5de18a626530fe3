# cuBLAS FP32 SGEMM (TF32 off) and a device-to-device copy through PyTorch, timed with CUDA events:
# the reference figures next to spork's Vulkan GEMM and bandwidth (docs/PERF.md, Vulkan section).
import statistics, sys, torch
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device("cuda")
print("torch", torch.__version__, torch.cuda.get_device_name(0))

def timed(fn, warmup=3, reps=10):
    for _ in range(warmup): fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record(); fn(); b.record(); b.synchronize()
        ts.append(a.elapsed_time(b))
    return statistics.median(ts), min(ts)

for n in (4096, 8192):
    sets = [(torch.rand(n, n, device=dev) * 2 - 1, torch.rand(n, n, device=dev) * 2 - 1) for _ in range(2)]
    out = torch.empty(n, n, device=dev)
    i = [0]
    def mm():
        A, B = sets[i[0] % 2]; i[0] += 1
        torch.mm(A, B, out=out)
    med, mn = timed(mm)
    # check against FP64 on a sample of rows
    A, B = sets[0]; torch.mm(A, B, out=out)
    ref = (A[:64].double() @ B.double())
    rel = ((out[:64].double() - ref).abs().max() / (A[:64].double().abs() @ B.double().abs()).max()).item()
    print(f"cublas_sgemm n={n} median_ms={med:.3f} min_ms={mn:.3f} tflops={2*n**3/med/1e9:.2f} rel_err_vs_fp64={rel:.2e}")
    del sets, out
    torch.cuda.empty_cache()

for mib in (1, 16, 256, 1024):
    n = mib * (1 << 20) // 4
    srcs = [torch.rand(n, device=dev) for _ in range(max(1, min(8, 256 // mib)))]
    dst = torch.empty(n, device=dev)
    i = [0]
    def cp():
        dst.copy_(srcs[i[0] % len(srcs)]); i[0] += 1
    med, mn = timed(cp, warmup=3, reps=20)
    assert torch.equal(dst, srcs[(i[0] - 1) % len(srcs)])
    print(f"torch_d2d_copy size={mib}MiB median_ms={med:.4f} GBps_read_plus_write={2*mib*(1<<20)/med/1e6:.1f}")
