using FaceWatch.Hosting;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.LiveView;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Web;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenCvSharp;

using FaceWatch.Core.Health;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Hosting.LiveView;
namespace FaceWatch.Tests.Web;

/// <summary>
/// The web host as the daemon configures it (<see cref="LiveViewHosting.AddFaceWatchLiveView"/>, <see cref="WebHosting.AddFaceWatchWeb"/>),
/// fed by hand: real frames of the test video go to every registered <see cref="IFrameAnnotationSink"/>,
/// with a fixed track, and events go through the real <see cref="IdentityEventHub"/>.
/// </summary>
internal sealed class WebHostFixture : IAsyncDisposable
{
    public const string Camera = "stage";

    private readonly CancellationTokenSource _stop = new();
    private Task _feeder = Task.CompletedTask;

    private WebHostFixture(IHost host)
    {
        Host = host;
    }

    public IHost Host { get; }

    public string BaseUrl => Host.Services.GetRequiredService<WebLiveViewServer>().BoundUrls[0];

    public CameraHealthRegistry Health => Host.Services.GetRequiredService<CameraHealthRegistry>();

    public IdentityEventHub Hub => Host.Services.GetRequiredService<IdentityEventHub>();

    public long FramesPosted { get; private set; }

    public static async Task<WebHostFixture> StartAsync(
        IDictionary<string, string?>? settings = null, Microsoft.Extensions.Logging.ILoggerProvider? logs = null, Action<IServiceCollection>? services = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var config = new Dictionary<string, string?>
        {
            ["Web:Enabled"] = "true",
            ["Web:Urls"] = "http://127.0.0.1:0",
            ["Web:MaxStreamFps"] = "10",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            config[k] = v;
        }

        builder.Configuration.AddInMemoryCollection(config);
        if (logs is not null)
        {
            builder.Services.AddSingleton(logs);
        }

        // The daemon's last two calls (DaemonHost.CreateBuilder), without the pipeline: frames and events come by hand.
        services?.Invoke(builder.Services);
        builder.Services.AddFaceWatchLiveView(builder.Configuration);
        builder.AddFaceWatchWeb();
        var host = builder.Build();
        await host.StartAsync();
        return new WebHostFixture(host);
    }

    /// <summary>Posts frames of the Hamilton clip at about <paramref name="fps"/> (looping), with one known track.</summary>
    public void StartFeeding(double fps = 15)
    {
        var sinks = Host.Services.GetServices<IFrameAnnotationSink>().ToArray();
        var token = _stop.Token;
        _feeder = Task.Run(async () =>
        {
            var video = TestPaths.Data("video", "short_hamilton_clip.mp4");
            long sequence = 0;
            var started = DateTimeOffset.UtcNow;
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / fps));
            while (!token.IsCancellationRequested)
            {
                using var capture = new VideoCapture(video);
                Assert.True(capture.IsOpened(), $"cannot open {video}");
                while (!token.IsCancellationRequested)
                {
                    var image = new Mat();
                    if (!capture.Read(image) || image.Empty())
                    {
                        image.Dispose();
                        break;
                    }

                    using var frame = new Frame(Camera, ++sequence, image, DateTimeOffset.UtcNow, TimeProvider.System.GetTimestamp());
                    var elapsed = (DateTimeOffset.UtcNow - started).TotalSeconds;
                    var health = new CameraHealth(Camera, true, sequence, 0, 0, sequence / Math.Max(elapsed, 0.001), null, started);
                    Health.Report(health);
                    foreach (var sink in sinks)
                    {
                        sink.Post(frame, Tracks, health);
                    }

                    FramesPosted = sequence;
                    try
                    {
                        await timer.WaitForNextTickAsync(token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
        }, CancellationToken.None);
    }

    public static readonly TrackOverlay[] Tracks =
    [
        new(7, new Rect2f(260, 60, 110, 130), [new(290, 110), new(340, 110), new(315, 140), new(295, 165), new(335, 165)], "lin_manuel_miranda", true, 0.87),
        new(8, new Rect2f(40, 200, 80, 90), null, "unknown", false, 0.31),
    ];

    public static IdentityEvent Arrived(string name = "lin_manuel_miranda", double confidence = 0.87) => new()
    {
        EventId = Guid.NewGuid().ToString("N"),
        Event = IdentityEventKind.Arrived,
        Camera = Camera,
        TrackId = 7,
        Name = name,
        Known = true,
        Confidence = confidence,
        Box = new EventBox(260, 60, 110, 130),
        FrameWidth = 640,
        FrameHeight = 360,
        Timestamp = DateTimeOffset.UtcNow,
        FirstSeen = DateTimeOffset.UtcNow,
        LastSeen = DateTimeOffset.UtcNow,
        LatencyMs = 42,
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _feeder;
        await Host.StopAsync();
        Host.Dispose();
        _stop.Dispose();
    }
}
