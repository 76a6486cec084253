using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FaceWatch.Pipeline.Capture;
using Microsoft.Extensions.DependencyInjection;
using OpenCvSharp;
using Xunit.Abstractions;

using FaceWatch.Core.Health;
using FaceWatch.Tests.Infrastructure;
namespace FaceWatch.Tests.Web;

/// <summary>The web live view over real HTTP, with real frames of the test video fed by hand and a real browser.</summary>
[Trait("Category", "Slow")]
public sealed class WebLiveViewTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Healthz_is_503_until_a_camera_is_online_then_200_with_camera_fields()
    {
        await using var web = await WebHostFixture.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(web.BaseUrl) };

        using var before = await http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
        Assert.Equal("down", JsonDocument.Parse(await before.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());

        web.Health.Report(new CameraHealth("stage", true, 120, 3, 1, 14.5, null, DateTimeOffset.UtcNow));
        web.Health.Report(new CameraHealth("door", false, 0, 0, 4, 0, "connection refused", DateTimeOffset.UtcNow));
        using var after = await http.GetAsync("/healthz");
        var body = await after.Content.ReadAsStringAsync();
        output.WriteLine(body);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        var root = JsonDocument.Parse(body).RootElement;
        Assert.Equal("degraded", root.GetProperty("status").GetString());
        var stage = root.GetProperty("cameras").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "stage");
        Assert.True(stage.GetProperty("online").GetBoolean());
        Assert.Equal(14.5, stage.GetProperty("processedFps").GetDouble());
        Assert.Equal(3, stage.GetProperty("framesDropped").GetInt64());
        Assert.Equal(1, stage.GetProperty("reconnects").GetInt64());
        var door = root.GetProperty("cameras").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "door");
        Assert.Equal("connection refused", door.GetProperty("lastError").GetString());
        Assert.True(root.TryGetProperty("modelHashes", out _));

        web.Health.Report(new CameraHealth("stage", false, 120, 3, 2, 0, "end of stream", DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Metrics_exports_the_FaceWatch_instruments_in_Prometheus_text()
    {
        await using var web = await WebHostFixture.StartAsync();
        var metrics = web.Host.Services.GetRequiredService<FaceWatchMetrics>();
        web.Health.Report(new CameraHealth("stage", true, 120, 3, 1, 14.5, null, DateTimeOffset.UtcNow));
        metrics.EmbeddingDuration(23.5, 2);
        metrics.RegisterQueue("detect", () => 3);

        using var http = new HttpClient { BaseAddress = new Uri(web.BaseUrl) };
        using var response = await http.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        output.WriteLine(text);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Matches("(?m)^facewatch_frames_read_total\\{.*camera=\"stage\".*\\} 120", text);
        Assert.Matches("(?m)^facewatch_frames_dropped_total\\{.*camera=\"stage\".*\\} 3", text);
        Assert.Matches("(?m)^facewatch_camera_reconnects_total\\{.*camera=\"stage\".*\\} 1", text);
        Assert.Matches("(?m)^facewatch_camera_online\\{.*camera=\"stage\".*\\} 1", text);
        Assert.Matches("(?m)^facewatch_embedding_duration_milliseconds_bucket\\{.*le=\"35\".*\\} 1", text);
        Assert.Matches("(?m)^facewatch_queue_depth\\{.*queue=\"detect\".*\\} 3", text);
    }

    [Fact]
    public async Task Mjpeg_stream_sends_decodable_annotated_jpegs_at_the_capped_rate()
    {
        await using var web = await WebHostFixture.StartAsync(new Dictionary<string, string?> { ["Web:MaxStreamFps"] = "8" });
        web.StartFeeding(fps: 25);
        // An unknown camera is a 404: ask once the camera has reported.
        await WaitUntilAsync(() => web.FramesPosted > 0, TimeSpan.FromSeconds(10));
        using var http = new HttpClient { BaseAddress = new Uri(web.BaseUrl) };
        using var response = await http.GetAsync($"/cameras/{WebHostFixture.Camera}/stream.mjpg", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("multipart/x-mixed-replace", response.Content.Headers.ContentType?.MediaType);
        var boundary = response.Content.Headers.ContentType!.Parameters.Single(p => p.Name == "boundary").Value!;

        await using var stream = await response.Content.ReadAsStreamAsync();
        var reader = new MultipartJpegReader(stream, boundary);
        var first = await reader.NextAsync();
        var clock = Stopwatch.StartNew();
        var count = 0;
        byte[] last = first;
        while (clock.Elapsed < TimeSpan.FromSeconds(4))
        {
            last = await reader.NextAsync();
            count++;
        }

        var fps = count / clock.Elapsed.TotalSeconds;
        output.WriteLine($"MJPEG: {count} frames in {clock.Elapsed.TotalSeconds:0.00} s = {fps:0.0} fps (cap 8, feed 25 fps), last JPEG {last.Length} bytes");
        Assert.InRange(fps, 2, 8.5); // the cap is the point; a loaded test box may deliver fewer

        using var image = Cv2.ImDecode(last, ImreadModes.Color);
        Assert.Equal(640, image.Width);
        Assert.Equal(360, image.Height);
        // The known track's box is drawn in pure green at its left edge (JPEG: allow some loss).
        var edge = image.At<Vec3b>(120, 260);
        output.WriteLine($"pixel on the box edge: B{edge.Item0} G{edge.Item1} R{edge.Item2}");
        Assert.True(edge.Item1 > 200 && edge.Item0 < 80 && edge.Item2 < 80, $"box edge pixel is B{edge.Item0} G{edge.Item1} R{edge.Item2}, not green");
    }

    [Fact]
    public async Task Browser_shows_a_camera_tile_with_a_decoded_image_and_the_identity()
    {
        await using var web = await WebHostFixture.StartAsync();
        web.StartFeeding();
        await web.Hub.PublishAsync(WebHostFixture.Arrived(), CancellationToken.None);
        await WaitUntilAsync(() => web.FramesPosted > 5, TimeSpan.FromSeconds(10));

        await using var browser = await ChromiumSession.StartAsync();
        await browser.NavigateAsync(web.BaseUrl + "/");
        var decoded = await browser.WaitForAsync("document.querySelector('.tile img')?.dataset.decoded === '1'", TimeSpan.FromSeconds(20));
        var dom = (await browser.EvaluateAsync("document.documentElement.outerHTML"))?.GetValue<string>() ?? "";
        output.WriteLine(dom);
        Assert.True(decoded, "the tile's image never decoded a frame");
        Assert.Contains("class=\"tile\" data-camera=\"stage\"", dom, StringComparison.Ordinal);
        Assert.Equal(640, (await browser.EvaluateAsync("document.querySelector('.tile img').naturalWidth"))!.GetValue<int>());
        Assert.Equal("lin_manuel_miranda (0.87)", (await browser.EvaluateAsync("document.querySelector('.tile .identity').textContent"))!.GetValue<string>());

        // A later event reaches the open page over server-sent events.
        await web.Hub.PublishAsync(WebHostFixture.Arrived("barack_obama", 0.93), CancellationToken.None);
        Assert.True(
            await browser.WaitForAsync("document.querySelector('.tile .identity').textContent === 'barack_obama (0.93)'", TimeSpan.FromSeconds(10)),
            "the page did not show the event pushed over /api/events/stream");

        var png = Path.Combine(Path.GetTempPath(), "facewatch-web-liveview.png");
        await browser.ScreenshotAsync(png);
        output.WriteLine($"screenshot: {png}");
        using var shot = Cv2.ImRead(png);
        Assert.True(CountPixels(shot, new Scalar(0, 220, 0), new Scalar(40, 255, 40)) > 200, "no green overlay box in the screenshot");
    }

    [Fact]
    public async Task A_configured_token_is_required_on_every_path()
    {
        await using var web = await WebHostFixture.StartAsync(new Dictionary<string, string?> { ["Web:Token"] = "s3cret" });
        using var http = new HttpClient { BaseAddress = new Uri(web.BaseUrl) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/metrics")).StatusCode);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/events");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret-not");
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
        using var right = new HttpRequestMessage(HttpMethod.Get, "/api/events");
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(right)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/?token=s3cret")).StatusCode);
    }

    [Fact]
    public async Task Token_login_keeps_no_token_in_the_url_or_cookie_and_bad_requests_do_not_flood_the_log()
    {
        var logs = new FaceWatch.Tests.Infrastructure.CapturingLoggerProvider();
        await using var web = await WebHostFixture.StartAsync(new Dictionary<string, string?> { ["Web:Token"] = "s3cret" }, logs);
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(web.BaseUrl) };

        using var login = await http.GetAsync("/?token=s3cret&camera=stage");
        Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        Assert.Equal("/?camera=stage", login.Headers.Location?.OriginalString);
        using var upper = await http.GetAsync("/?Token=s3cret&camera=stage"); // the key is read case-insensitively: it must go too
        Assert.Equal(HttpStatusCode.SeeOther, upper.StatusCode);
        Assert.Equal("/?camera=stage", upper.Headers.Location?.OriginalString);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.DoesNotContain("s3cret", cookie, StringComparison.Ordinal);
        var pair = cookie.Split(';')[0];

        using var page = new HttpRequestMessage(HttpMethod.Get, "/?camera=stage");
        page.Headers.Add("Cookie", pair);
        using var shown = await http.SendAsync(page);
        Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        using var rawCookie = new HttpRequestMessage(HttpMethod.Get, "/");
        rawCookie.Headers.Add("Cookie", "facewatch_token=s3cret"); // the token itself is no cookie
        using var refused = await http.SendAsync(rawCookie);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        for (var i = 0; i < 300; i++)
        {
            using var bad = await http.GetAsync("/metrics?n=" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        }

        Assert.InRange(logs.Lines.Count(l => l.EventId == 7103), 1, 2);
    }

    [Fact]
    public async Task Events_stream_delivers_published_identity_events()
    {
        await using var web = await WebHostFixture.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(web.BaseUrl) };
        using var response = await http.GetAsync("/api/events/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var lines = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        Assert.StartsWith(":", await lines.ReadLineAsync());

        var arrived = WebHostFixture.Arrived("barack_obama", 0.91);
        await web.Hub.PublishAsync(arrived, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        string? data = null;
        while (data is null)
        {
            var line = await lines.ReadLineAsync(timeout.Token);
            if (line?.StartsWith("data: ", StringComparison.Ordinal) == true)
            {
                data = line["data: ".Length..];
            }
        }

        var e = JsonDocument.Parse(data).RootElement;
        Assert.Equal("barack_obama", e.GetProperty("name").GetString());
        Assert.Equal("arrived", e.GetProperty("event").GetString());
        var polled = JsonDocument.Parse(await http.GetStringAsync("/api/events")).RootElement;
        Assert.Equal("barack_obama", polled[0].GetProperty("name").GetString());

        // One contract: the stream and /api/events write exactly the MQTT payload, fields that do not apply as null.
        var payload = JsonSerializer.Serialize(arrived, FaceWatch.Pipeline.Identity.IdentityEventJsonContext.Default.IdentityEvent);
        Assert.Equal(payload, data);
        Assert.Equal(payload, polled[0].GetRawText());
        Assert.Equal(JsonValueKind.Null, polled[0].GetProperty("durationSeconds").ValueKind);
    }

    /// <summary>Pixels whose B, G, R lie within [lower, upper].</summary>
    internal static int CountPixels(Mat image, Scalar lower, Scalar upper)
    {
        using var mask = new Mat();
        Cv2.InRange(image, lower, upper, mask);
        return Cv2.CountNonZero(mask);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, $"condition not met within {timeout}");
            await Task.Delay(50);
        }
    }
}

/// <summary>Reads the JPEG parts of a <c>multipart/x-mixed-replace</c> body.</summary>
internal sealed class MultipartJpegReader(Stream stream, string boundary)
{
    private readonly BufferedStream _input = new(stream);

    public async Task<byte[]> NextAsync()
    {
        int? length = null;
        string? line;
        while ((line = await ReadLineAsync()) is not null)
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (line.Length == 0 && length is not null)
            {
                var jpeg = new byte[length.Value];
                await _input.ReadExactlyAsync(jpeg);
                return jpeg;
            }
            else if (line.Length > 0 && !line.StartsWith("--" + boundary, StringComparison.Ordinal) && !line.Contains(':', StringComparison.Ordinal))
            {
                throw new InvalidDataException($"unexpected multipart line '{line}'");
            }
        }

        throw new EndOfStreamException("MJPEG stream ended");
    }

    private async Task<string?> ReadLineAsync()
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (await _input.ReadAsync(one) == 1)
        {
            if (one[0] == '\n')
            {
                return Encoding.ASCII.GetString(bytes.ToArray()).TrimEnd('\r');
            }

            bytes.Add(one[0]);
        }

        return bytes.Count == 0 ? null : Encoding.ASCII.GetString(bytes.ToArray());
    }
}
