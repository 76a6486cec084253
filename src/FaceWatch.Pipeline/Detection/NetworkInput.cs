using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Detection;

/// <summary>
/// A reusable NCHW float input for one network: BGR 8-bit images are split into RGB byte planes by
/// <see cref="Cv2.MixChannels"/> straight into a pinned buffer, then one <c>ConvertTo</c> applies
/// (x - 127.5) / 128 into the pinned float buffer that ONNX Runtime reads without a copy.
/// </summary>
internal sealed class NetworkInput : IDisposable
{
    // BGR source channel -> planar destination index: R, G, B.
    private static readonly int[] BgrToRgbPlanes = [2, 0, 1, 1, 0, 2];
    private const double Alpha = 1.0 / 128.0;
    private const double Beta = -127.5 / 128.0;

    private readonly int _height;
    private readonly int _width;
    private byte[] _bytes = [];
    private float[] _floats = [];
    private Mat[][] _planes = [];
    private readonly Mat[] _source = new Mat[1];

    public NetworkInput(int height, int width)
    {
        _height = height;
        _width = width;
    }

    public int Capacity => _planes.Length;

    public int Width => _width;

    public int Height => _height;

    private int PlaneSize => _height * _width;

    /// <summary>Makes room for <paramref name="count"/> images; grows by doubling, never shrinks.</summary>
    public void EnsureCapacity(int count)
    {
        if (count <= Capacity)
        {
            return;
        }

        DisposeHeaders();
        var capacity = Math.Max(count, Capacity * 2);
        _bytes = GC.AllocateUninitializedArray<byte>(capacity * 3 * PlaneSize, pinned: true);
        _floats = GC.AllocateUninitializedArray<float>(capacity * 3 * PlaneSize, pinned: true);
        _planes = new Mat[capacity][];
        var basePtr = Marshal.UnsafeAddrOfPinnedArrayElement(_bytes, 0);
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
        using var src = Mat.FromPixelData(rows, _width, MatType.CV_8UC1, Marshal.UnsafeAddrOfPinnedArrayElement(_bytes, 0));
        using var dst = Mat.FromPixelData(rows, _width, MatType.CV_32FC1, Marshal.UnsafeAddrOfPinnedArrayElement(_floats, 0));
        src.ConvertTo(dst, MatType.CV_32FC1, Alpha, Beta);
    }

    /// <summary>An ONNX Runtime tensor over the pinned float buffer; dispose it after the run.</summary>
    public OrtValue CreateTensor(int count) =>
        OrtValue.CreateTensorValueFromMemory(
            OrtMemoryInfo.DefaultInstance,
            _floats.AsMemory(0, count * 3 * PlaneSize),
            [count, 3, _height, _width]);

    public void Dispose() => DisposeHeaders();

    private void DisposeHeaders()
    {
        foreach (var planes in _planes)
        {
            foreach (var p in planes)
            {
                p.Dispose();
            }
        }

        _planes = [];
    }
}
