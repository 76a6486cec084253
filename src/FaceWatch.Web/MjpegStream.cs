using FaceWatch.Core.Health;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;

namespace FaceWatch.Web;

/// <summary>
/// <c>/cameras/{name}/stream.mjpg</c>: the camera's shared JPEGs as <c>multipart/x-mixed-replace</c>, at most
/// <c>Web:MaxStreamFps</c>, until the viewer leaves or the web app stops.
/// </summary>
internal static class MjpegStream
{
    public const string Boundary = "facewatchframe";
    private static readonly byte[] CrLf = "\r\n"u8.ToArray();

    public static async Task ServeAsync(
        string name,
        HttpContext context,
        WebFrameSink frames,
        CameraHealthRegistry cameras,
        WebOptions options,
        TimeProvider time,
        IHostApplicationLifetime lifetime)
    {
        var feed = frames.Feed(name);
        if (feed is null && cameras.Get(name) is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsync($"No camera named '{name}'.", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        // Streams never end by themselves: the web app's stopping ends them first, so Kestrel's graceful stop is quick.
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var ct = cts.Token;
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.ContentType = "multipart/x-mixed-replace; boundary=" + Boundary;
        context.Response.Headers.CacheControl = "no-cache, no-store";
        var minInterval = TimeSpan.FromSeconds(1.0 / options.MaxStreamFps);
        try
        {
            // A camera may post its first frame only after the page opened.
            while (feed is null)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), time, ct).ConfigureAwait(false);
                feed = frames.Feed(name);
            }

            using var watching = feed.Watch();
            long version = 0;
            var body = context.Response.Body;
            while (!ct.IsCancellationRequested)
            {
                var sent = time.GetTimestamp();
                var frame = await feed.NextAsync(version, ct).ConfigureAwait(false);
                version = frame.Version;
                await body.WriteAsync(frame.PartHeader, ct).ConfigureAwait(false);
                await body.WriteAsync(frame.Jpeg, ct).ConfigureAwait(false);
                await body.WriteAsync(CrLf, ct).ConfigureAwait(false);
                await body.FlushAsync(ct).ConfigureAwait(false);

                var wait = minInterval - time.GetElapsedTime(sent);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Viewer left or the daemon is stopping.
        }
    }
}
