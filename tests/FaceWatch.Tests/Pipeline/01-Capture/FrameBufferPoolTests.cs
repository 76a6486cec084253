using FaceWatch.Core.Imaging;
using FaceWatch.Pipeline.Capture;
using OpenCvSharp;

namespace FaceWatch.Tests.Pipeline.Capture;

/// <summary>Frames read into pooled Mats: each Mat has one owner, disposed frames hand theirs back, dropped ones too.</summary>
public sealed class FrameBufferPoolTests
{
    [Fact]
    public void A_disposed_frame_hands_its_mat_back_and_the_next_read_reuses_it()
    {
        using var photo = ImageLoader.Load(TestPaths.Data("images", "obama-720p.jpg"));
        using var pool = new FrameBufferPool(capacity: 2);
        var first = pool.Rent(photo.Rows, photo.Cols, photo.Type());
        photo.CopyTo(first);
        var data = first.Data;
        var frame = new Frame("cam", 1, first, DateTimeOffset.UnixEpoch, 0, pool);
        frame.Dispose();
        frame.Dispose();

        Assert.False(first.IsDisposed);
        Assert.Equal(1, pool.Free);
        using var again = pool.Rent(photo.Rows, photo.Cols, photo.Type());
        Assert.Same(first, again);
        Assert.Equal(data, again.Data);
        Assert.Equal(1, pool.Allocated);
        Assert.Equal(0, pool.Free);
    }

    [Fact]
    public void Frames_a_full_queue_drops_and_drains_go_back_and_what_the_pool_cannot_keep_is_disposed()
    {
        using var photo = ImageLoader.Load(TestPaths.Data("images", "obama-720p.jpg"));
        using var pool = new FrameBufferPool(capacity: 2);
        // Four frames alive at once (rented before any goes back).
        var mats = Enumerable.Range(0, 4).Select(_ => pool.Rent(photo.Rows, photo.Cols, photo.Type())).ToList();
        using (var queue = new DropOldestQueue<Frame>(capacity: 1, singleWriter: true))
        {
            for (var i = 0; i < 4; i++)
            {
                photo.CopyTo(mats[i]);
                queue.Write(new Frame("cam", i + 1, mats[i], DateTimeOffset.UnixEpoch, i, pool));
            }

            Assert.Equal(3, queue.DroppedCount);
        }

        // Four frames gone: two Mats kept for reuse, the other two disposed (the pool holds two at most).
        Assert.Equal(2, pool.Free);
        Assert.Equal(2, mats.Count(m => m.IsDisposed));
        Assert.Equal(4, pool.Allocated);
    }

    [Fact]
    public void A_mat_of_another_size_is_not_reused_and_a_disposed_pool_disposes_what_comes_back()
    {
        using var photo = ImageLoader.Load(TestPaths.Data("images", "obama-720p.jpg"));
        using var pool = new FrameBufferPool(capacity: 4);
        var big = pool.Rent(photo.Rows, photo.Cols, photo.Type());
        pool.Return(big);
        using var small = pool.Rent(photo.Rows / 2, photo.Cols / 2, photo.Type());
        Assert.True(big.IsDisposed);
        Assert.Equal(2, pool.Allocated);

        var late = pool.Rent(photo.Rows, photo.Cols, photo.Type());
        using var frame = new Frame("cam", 1, late, DateTimeOffset.UnixEpoch, 0, pool);
        pool.Dispose();
        frame.Dispose();
        Assert.True(late.IsDisposed);
        Assert.Equal(0, pool.Free);
    }
}
