using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

using FaceWatch.Core.Models;
namespace FaceWatch.Tests.Core.Models;

/// <summary>Execution provider selection: what this (CPU) build does, and the fallback logic with injected providers.</summary>
public sealed class InferenceSessionFactoryTests
{
    private static InferenceSessionFactory Make(ExecutionProviderKind provider, IReadOnlyList<string>? available = null, Func<SessionOptions, string, bool>? append = null) =>
        new(Options.Create(new ModelsOptions { Provider = provider, Dir = Path.GetTempPath() }), NullLoggerFactory.Instance, available, append);

    [Fact]
    public void This_build_has_the_CPU_provider()
    {
        Assert.Contains(InferenceSessionFactory.CpuProvider, OrtEnv.Instance().GetAvailableProviders());
        Assert.Equal(InferenceSessionFactory.CpuProvider, Make(ExecutionProviderKind.Cpu).ProviderInUse);
    }

    [Fact]
    public void Cuda_on_a_CPU_build_fails_with_a_clear_message()
    {
        // The default (CPU) build has no CUDA provider; the real ONNX Runtime list is used here.
        Assert.DoesNotContain(InferenceSessionFactory.CudaProvider, OrtEnv.Instance().GetAvailableProviders());
        var e = Assert.Throws<InvalidOperationException>(() => Make(ExecutionProviderKind.Cuda));
        Assert.Contains("Models:Provider is 'Cuda'", e.Message, StringComparison.Ordinal);
        Assert.Contains("-p:FaceWatchGpu=Cuda", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DirectML_on_a_Linux_build_fails_with_a_clear_message()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Make(ExecutionProviderKind.DirectML));
        Assert.Contains("DirectML", e.Message, StringComparison.Ordinal);
        Assert.Contains("Cpu or Auto", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_on_a_CPU_build_uses_the_CPU()
    {
        Assert.Equal(InferenceSessionFactory.CpuProvider, Make(ExecutionProviderKind.Auto).ProviderInUse);
    }

    [Fact]
    public void Auto_takes_a_GPU_provider_that_enables()
    {
        var factory = Make(ExecutionProviderKind.Auto, [InferenceSessionFactory.CudaProvider, InferenceSessionFactory.CpuProvider], (_, _) => true);
        Assert.Equal(InferenceSessionFactory.CudaProvider, factory.ProviderInUse);
    }

    [Fact]
    public void Auto_falls_back_to_the_CPU_when_the_GPU_provider_cannot_start()
    {
        var tried = new List<string>();
        var factory = Make(
            ExecutionProviderKind.Auto,
            [InferenceSessionFactory.CudaProvider, InferenceSessionFactory.DirectMLProvider, InferenceSessionFactory.CpuProvider],
            (_, provider) =>
            {
                tried.Add(provider);
                throw new DllNotFoundException("libcudart.so.12: cannot open shared object file");
            });

        Assert.Equal(InferenceSessionFactory.CpuProvider, factory.ProviderInUse);
        Assert.Equal([InferenceSessionFactory.CudaProvider, InferenceSessionFactory.DirectMLProvider], tried);
    }

    [Fact]
    public void Cuda_requested_but_failing_to_start_is_an_error_not_a_silent_fallback()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Make(
            ExecutionProviderKind.Cuda,
            [InferenceSessionFactory.CudaProvider, InferenceSessionFactory.CpuProvider],
            (_, _) => throw new DllNotFoundException("libcudart.so.12: cannot open shared object file")));
        Assert.Contains("libcudart.so.12", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Session_options_carry_threads_and_optimisation_level()
    {
        var factory = new InferenceSessionFactory(Options.Create(new ModelsOptions { Threads = 3, Optimization = ModelOptimizationLevel.Basic }));
        using var options = factory.CreateSessionOptions();
        Assert.Equal(3, options.IntraOpNumThreads);
        Assert.Equal(GraphOptimizationLevel.ORT_ENABLE_BASIC, options.GraphOptimizationLevel);
        using var one = factory.CreateSessionOptions(threads: 1);
        Assert.Equal(1, one.IntraOpNumThreads);
    }

    [Fact]
    public void Memory_pattern_is_off_by_default_and_only_for_fixed_shape_sessions()
    {
        var defaults = new InferenceSessionFactory(Options.Create(new ModelsOptions()));
        using (var any = defaults.CreateSessionOptions())
        using (var fixedShape = defaults.CreateSessionOptions(fixedShape: true))
        {
            Assert.False(any.EnableMemoryPattern);
            Assert.False(fixedShape.EnableMemoryPattern);
            Assert.True(any.EnableCpuMemArena);
        }

        var on = new InferenceSessionFactory(Options.Create(new ModelsOptions { MemoryPattern = true }));
        using (var batched = on.CreateSessionOptions())
        using (var fixedShape = on.CreateSessionOptions(fixedShape: true))
        {
            Assert.False(batched.EnableMemoryPattern);
            Assert.True(fixedShape.EnableMemoryPattern);
        }

        using var off = new InferenceSessionFactory(Options.Create(new ModelsOptions { CpuMemArena = false })).CreateSessionOptions();
        Assert.False(off.EnableCpuMemArena);
    }

    [Fact]
    public void Sessions_share_one_arena_by_default_and_still_run()
    {
        // The shared arena is registered with the process's ONNX Runtime environment once; a second factory reuses it.
        var factory = new InferenceSessionFactory(Options.Create(new ModelsOptions { Dir = TestPaths.ModelsDir }));
        using var first = factory.Create(ModelFiles.RNet, threads: 1);
        using var second = new InferenceSessionFactory(Options.Create(new ModelsOptions { Dir = TestPaths.ModelsDir })).Create(ModelFiles.ONet, threads: 1);
        using var own = new InferenceSessionFactory(Options.Create(new ModelsOptions { Dir = TestPaths.ModelsDir, SharedArena = false })).Create(ModelFiles.RNet, threads: 1);
        foreach (var (session, side) in new[] { (first, 24), (second, 48), (own, 24) })
        {
            using var input = OrtValue.CreateTensorValueFromMemory(new float[2 * 3 * side * side], [2, 3, side, side]);
            using var run = new RunOptions();
            using var outputs = session.Run(run, [ModelFiles.InputName], [input], ["prob"]);
            Assert.Equal(4, outputs[0].GetTensorDataAsSpan<float>().Length);
        }
    }
}
