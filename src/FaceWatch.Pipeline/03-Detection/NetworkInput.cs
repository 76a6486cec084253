using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.Win32.SafeHandles;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Detection;

/// <summary>
/// A reusable NCHW float input for one network: BGR 8-bit images are split into RGB byte planes by
/// <see cref="Cv2.MixChannels"/> straight into a native buffer, then one <c>ConvertTo</c> applies
/// (x - 127.5) / 128 into the native float buffer that ONNX Runtime reads without a copy.
/// <para>
/// Native, not pinned managed arrays: a grown buffer is freed at once, where pinned arrays left holes in the GC's
/// pinned heap that it never compacts (13 of 30 MB there were free with 2 detections in flight;
/// docs/performance-memory.md).
/// </para>
/// </summary>
internal sealed class NetworkInput : IDisposable
{
    // BGR source channel -> planar destination index: R, G, B.
    private static readonly int[] BgrToRgbPlanes = [2, 0, 1, 1, 0, 2];
    private const double Alpha = 1.0 / 128.0;
    private const double Beta = -127.5 / 128.0;

    private readonly int _height;
    private readonly int _width;
    private readonly int _growthStep;
    private NativeBuffer? _bytes;
    private NativeBuffer? _floats;
    private Mat[][] _planes = [];
    private readonly Mat[] _source = new Mat[1];

    /// <param name="growthStep">Capacity grows to the images asked for, rounded up to a multiple of this.</param>
    public NetworkInput(int height, int width, int growthStep = 32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(growthStep, 1);
        _height = height;
        _width = width;
        _growthStep = growthStep;
    }

    public int Capacity => _planes.Length;

    public int Width => _width;

    public int Height => _height;

    private int PlaneSize => _height * _width;

    /// <summary>
    /// Makes room for <paramref name="count"/> images: grows to <paramref name="count"/> rounded up to the growth step,
    /// never shrinks. Batches of a camera settle within a few frames, so growing is rare.
    /// </summary>
    public void EnsureCapacity(int count)
    {
        if (count <= Capacity)
        {
            return;
        }

        DisposeBuffers();
        var capacity = checked((count + _growthStep - 1) / _growthStep * _growthStep);
        var values = checked((long)capacity * 3 * PlaneSize);
        _bytes = NativeBuffer.Allocate(values);
        _floats = NativeBuffer.Allocate(values * sizeof(float));
        _planes = new Mat[capacity][];
        var basePtr = _bytes.Pointer;
        for (var n = 0; n < capacity; n++)
        {
            _planes[n] = new Mat[3];
            for (var c = 0; c < 3; c++)
            {
                var offset = ((n * 3) + c) * PlaneSize;
                _planes[n][c] = Mat.FromPixelData(_height, _width, MatType.CV_8UC1, basePtr + offset);
            }
        }
    }

    /// <summary>Copies a BGR 8-bit image of exactly the input size into slot <paramref name="index"/> as RGB planes.</summary>
    public void SetImage(int index, Mat bgr)
    {
        _source[0] = bgr;
        Cv2.MixChannels(_source, _planes[index], BgrToRgbPlanes);
        _source[0] = null!;
    }

    /// <summary>Normalises the first <paramref name="count"/> images into the float buffer.</summary>
    public void Normalise(int count)
    {
        var rows = count * 3 * _height;
        using var src = Mat.FromPixelData(rows, _width, MatType.CV_8UC1, Buffer(_bytes).Pointer);
        using var dst = Mat.FromPixelData(rows, _width, MatType.CV_32FC1, Buffer(_floats).Pointer);
        src.ConvertTo(dst, MatType.CV_32FC1, Alpha, Beta);
    }

    /// <summary>An ONNX Runtime tensor over the float buffer; dispose it after the run (the buffer outlives it).</summary>
    public OrtValue CreateTensor(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Capacity);
        return OrtValue.CreateTensorValueWithData(
            OrtMemoryInfo.DefaultInstance,
            TensorElementType.Float,
            [count, 3, _height, _width],
            Buffer(_floats).Pointer,
            (long)count * 3 * PlaneSize * sizeof(float));
    }

    public void Dispose() => DisposeBuffers();

    private static NativeBuffer Buffer(NativeBuffer? buffer) =>
        buffer ?? throw new InvalidOperationException("EnsureCapacity first.");

    private void DisposeBuffers()
    {
        foreach (var planes in _planes)
        {
            foreach (var p in planes)
            {
                p.Dispose();
            }
        }

        _planes = [];
        _bytes?.Dispose();
        _floats?.Dispose();
        _bytes = null;
        _floats = null;
    }

    /// <summary>64-byte aligned native memory (cache lines, AVX-512 loads), freed on dispose or, if forgotten, by the finaliser.</summary>
    private sealed class NativeBuffer : SafeHandleZeroOrMinusOneIsInvalid
    {
        private NativeBuffer()
            : base(ownsHandle: true)
        {
        }

        public IntPtr Pointer => handle;

        public static unsafe NativeBuffer Allocate(long bytes)
        {
            var buffer = new NativeBuffer();
            buffer.SetHandle((IntPtr)NativeMemory.AlignedAlloc((nuint)bytes, 64));
            return buffer;
        }

        protected override unsafe bool ReleaseHandle()
        {
            NativeMemory.AlignedFree((void*)handle);
            return true;
        }
    }
}
