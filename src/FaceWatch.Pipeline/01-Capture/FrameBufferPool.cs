using OpenCvSharp;

namespace FaceWatch.Pipeline.Capture;

/// <summary>
/// Frame-sized Mats to read camera frames into again, instead of a new 2.7 MB (720p BGR) buffer per frame: a source
/// rents one per read and the <see cref="Frame"/> that owns it hands it back when disposed. Ownership stays single:
/// a rented Mat belongs to its renter until returned, a returned one to the pool; what the pool cannot keep (full,
/// another size, the pool disposed) is disposed on return. Thread-safe: the camera thread rents, the detection worker
/// (or a queue dropping the oldest frame) returns.
/// </summary>
public sealed class FrameBufferPool : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Stack<Mat> _free = new();
    private readonly int _capacity;
    private bool _disposed;
    private long _allocated;

    /// <param name="capacity">Mats kept for reuse at most (the frames alive at once: the frame queue, the one processed, the one read).</param>
    public FrameBufferPool(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Mats allocated because none was free (the rest of the rents reused one).</summary>
    public long Allocated => Interlocked.Read(ref _allocated);

    /// <summary>Mats waiting for reuse.</summary>
    public int Free
    {
        get
        {
            lock (_gate)
            {
                return _free.Count;
            }
        }
    }

    /// <summary>A continuous Mat of this size and type (contents undefined); the caller owns it until it is returned.</summary>
    public Mat Rent(int rows, int cols, MatType type)
    {
        lock (_gate)
        {
            while (_free.TryPop(out var mat))
            {
                if (mat.Rows == rows && mat.Cols == cols && mat.Type() == type)
                {
                    return mat;
                }

                // Another frame size (the camera changed resolution): not worth keeping.
                mat.Dispose();
            }
        }

        Interlocked.Increment(ref _allocated);
        return new Mat(rows, cols, type);
    }

    /// <summary>Takes <paramref name="mat"/> back (its owner gives it up); disposed when it cannot be kept.</summary>
    public void Return(Mat mat)
    {
        ArgumentNullException.ThrowIfNull(mat);
        lock (_gate)
        {
            if (!_disposed && !mat.IsDisposed && mat.IsContinuous() && _free.Count < _capacity)
            {
                _free.Push(mat);
                return;
            }
        }

        mat.Dispose();
    }

    /// <summary>Disposes the free Mats; Mats returned later are disposed at once.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            while (_free.TryPop(out var mat))
            {
                mat.Dispose();
            }
        }
    }
}
