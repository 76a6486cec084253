using System.Diagnostics;
using System.Text.Json;
using FaceWatch.Commands;
using FaceWatch.Core.Numerics;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Tests.Infrastructure;

namespace FaceWatch.Tests.Commands;

/// <summary>
/// Real parts for <c>enroll --camera</c>: three real RTSP streams (GStreamer) made with ffmpeg from real photos - ten
/// different photos of Ian Malcolm shown one second each (camera <c>door</c>, with a password in its URL), a photo of two
/// people (<c>hall</c>), a test pattern without a face (<c>empty</c>) - a configuration naming them, and a gallery of five
/// other people enrolled from <c>faces/knn/train</c> by the real CLI.
/// </summary>
public sealed class CameraEnrollFixture : IAsyncLifetime
{
    /// <summary>The photos in the stream; <see cref="HeldOut"/> is another photo of him, not in it.</summary>
    public static readonly string[] StreamPhotos = ["00000000", "00000002", "00000003", "00000005", "00000006", "00000007", "00000009", "00000010", "00000013", "00000018"];

    public static readonly string HeldOut = TestPaths.Data("faces", "jurassic", "ian_malcolm", "00000022.jpg");

    public const string Password = "s3cret-door-pass";

    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-camenroll-").FullName;
    private readonly List<RtspClipServer> _servers = [];

    public string ConfigFile => Path.Combine(_dir, "config.json");

    public string BaseGallery => Path.Combine(_dir, "base.json");

    public async Task InitializeAsync()
    {
        ExternalTools.Require("ffmpeg", "ffmpeg");
        var malcolm = Path.Combine(_dir, "malcolm.mp4");
        var inputs = new List<string>();
        var filters = "";
        for (var i = 0; i < StreamPhotos.Length; i++)
        {
            inputs.AddRange(["-loop", "1", "-framerate", "10", "-t", "1", "-i", TestPaths.Data("faces", "jurassic", "ian_malcolm", StreamPhotos[i] + ".jpg")]);
            filters += $"[{i}:v]{Fit}[v{i}];";
        }

        filters += string.Concat(Enumerable.Range(0, StreamPhotos.Length).Select(i => $"[v{i}]")) + $"concat=n={StreamPhotos.Length}:v=1:a=0[out]";
        Ffmpeg([.. inputs, "-filter_complex", filters, "-map", "[out]", .. Encode, malcolm]);
        var two = Path.Combine(_dir, "two.mp4");
        Ffmpeg(["-loop", "1", "-framerate", "10", "-t", "5", "-i", TestPaths.Data("images", "two_people.jpg"), "-vf", Fit, .. Encode, two]);
        var empty = Path.Combine(_dir, "empty.mp4");
        Ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=640x480:rate=10", "-t", "5", .. Encode, empty]);

        var urls = new List<string>();
        foreach (var clip in new[] { malcolm, two, empty })
        {
            var looped = Path.ChangeExtension(clip, ".loop.mp4");
            Ffmpeg(["-stream_loop", "40", "-i", clip, "-an", "-c:v", "copy", looped]);
            var server = await RtspClipServer.StartAsync(looped);
            _servers.Add(server);
            urls.Add(server.Url);
        }

        File.WriteAllText(ConfigFile, JsonSerializer.Serialize(new
        {
            Cameras = new object[]
            {
                new { Name = "door", Source = urls[0].Replace("rtsp://", $"rtsp://enroll:{Password}@", StringComparison.Ordinal) },
                new { Name = "hall", Source = urls[1] },
                new { Name = "empty", Source = urls[2] },
            },
        }));

        var enroll = await Cli.RunAsync(_dir, null, TimeSpan.FromMinutes(3), "enroll", TestPaths.Data("faces", "knn", "train"), "--gallery", BaseGallery);
        Assert.True(enroll.ExitCode == 0, enroll.ToString());
    }

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    private const string Fit = "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=10,format=yuv420p";

    private static readonly string[] Encode = ["-c:v", "libx264", "-preset", "veryfast", "-g", "10"];

    private static void Ffmpeg(string[] args) => Cli.Tool("ffmpeg", ["-v", "error", "-y", .. args]);
}

/// <summary><c>facewatch enroll --camera</c> through the real CLI on real RTSP streams, with the real models.</summary>
[Trait("Category", "Slow")]
[Collection(RealTimeCollection.Name)] // reads cameras in real time: how many frames it sees depends on the CPU it gets
public sealed class CameraEnrollVerbTests(CameraEnrollFixture fixture) : IClassFixture<CameraEnrollFixture>, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-camenroll-run-").FullName;

    private string Gallery => Path.Combine(_dir, "gallery.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<CliResult> Enroll(params string[] args)
    {
        if (!File.Exists(Gallery))
        {
            File.Copy(fixture.BaseGallery, Gallery);
        }

        var result = await Cli.RunAsync(_dir, null, Timeout, ["enroll", .. args, "--gallery", Gallery, "--config", fixture.ConfigFile]);
        // The camera's password is in the configuration only: never on a command line, never in what the verb prints.
        Assert.DoesNotContain(CameraEnrollFixture.Password, result.Stdout + result.Stderr, StringComparison.Ordinal);
        return result;
    }

    [Fact]
    public async Task The_person_at_the_camera_is_enrolled_with_varied_faces_and_recognised_in_a_photo_not_in_the_stream()
    {
        var before = GalleryStore.Load(fixture.BaseGallery);

        var enroll = await Enroll("--camera", "door", "--name", "ian", "--seconds", "8");

        Assert.True(enroll.ExitCode == 0, enroll.ToString());
        Assert.Contains("Enrolled ian at camera 'door':", enroll.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"door: \d+\.\d/8 s, \d+ frames, 1 face in \d+, picked \d+", enroll.Stderr);
        var after = GalleryStore.Load(Gallery);
        var ian = Assert.Single(after.People, p => p.Name == "ian");
        // Eight seconds of a stream that changes photo every second: between the minimum and the maximum, and no two alike.
        Assert.InRange(ian.Faces.Count, CameraEnrollment.MinFaces, CameraEnrollment.DefaultMaxFaces);
        for (var i = 0; i < ian.Faces.Count; i++)
        {
            Assert.StartsWith("camera:door#", ian.Faces[i].Source, StringComparison.Ordinal);
            for (var j = i + 1; j < ian.Faces.Count; j++)
            {
                Assert.True(VectorMath.Dot(ian.Faces[i].Embedding, ian.Faces[j].Embedding) <= CameraEnrollment.MaxSimilarity, $"faces {i} and {j} are alike");
            }
        }

        Assert.Equal(before.People.Select(p => (p.Name, p.Faces.Count)), after.People.Where(p => p.Name != "ian").Select(p => (p.Name, p.Faces.Count)));

        var identify = await Cli.RunAsync(_dir, null, Timeout, "identify", CameraEnrollFixture.HeldOut, "--gallery", Gallery, "--json");
        Assert.True(identify.ExitCode == 0, identify.ToString());
        using var doc = JsonDocument.Parse(identify.Stdout);
        var face = Assert.Single(doc.RootElement[0].GetProperty("faces").EnumerateArray());
        Assert.Equal("ian", face.GetProperty("name").GetString());
        Assert.True(face.GetProperty("known").GetBoolean());

        // The same face enrolled as somebody already in the gallery: the mislabel check refuses, the file stays as it was.
        var saved = File.ReadAllBytes(Gallery);
        var wrong = await Enroll("--camera", "door", "--name", "obama", "--seconds", "4");
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("seen at camera 'door' do not fit obama: they look like ian, who is already enrolled", wrong.Stderr, StringComparison.Ordinal);
        Assert.Equal(saved, File.ReadAllBytes(Gallery));
    }

    [Fact]
    public async Task Two_people_in_view_are_refused_naming_the_camera_and_the_count_and_the_gallery_is_unchanged()
    {
        File.Copy(fixture.BaseGallery, Gallery);
        var saved = File.ReadAllBytes(Gallery);

        var enroll = await Enroll("--camera", "hall", "--name", "ian", "--seconds", "3");

        Assert.Equal(1, enroll.ExitCode);
        Assert.Matches(@"facewatch enroll: 2 faces in view in \d+ % of frames: only the person to enroll may be in front of camera 'hall'; ian is not enrolled\.", enroll.Stderr);
        Assert.Matches(@"hall: \d+\.\d/3 s, \d+ frames, 1 face in 0, several in \d+, picked 0", enroll.Stderr);
        Assert.Equal(saved, File.ReadAllBytes(Gallery));
    }

    [Fact]
    public async Task A_camera_without_a_face_is_refused_and_the_gallery_is_unchanged()
    {
        File.Copy(fixture.BaseGallery, Gallery);
        var saved = File.ReadAllBytes(Gallery);

        var enroll = await Enroll("--camera", "empty", "--name", "ian", "--seconds", "3");

        Assert.Equal(1, enroll.ExitCode);
        Assert.Matches(@"facewatch enroll: no face seen at camera 'empty' in 3 s \(\d+ frames\)", enroll.Stderr);
        Assert.Equal(saved, File.ReadAllBytes(Gallery));
    }

    [Fact]
    public async Task A_camera_that_gives_no_frame_is_refused_with_its_error_and_no_password()
    {
        File.Copy(fixture.BaseGallery, Gallery);
        var saved = File.ReadAllBytes(Gallery);
        var config = Path.Combine(_dir, "gone.json");
        var url = $"rtsp://enroll:{CameraEnrollFixture.Password}@127.0.0.1:{RtspClipServer.FreePort()}/clip"; // nobody listens there
        File.WriteAllText(config, JsonSerializer.Serialize(new
        {
            Capture = new { ProbeTimeoutSeconds = 2, ReconnectBaseSeconds = 0.2, ReconnectMaxSeconds = 0.5 },
            Cameras = new[] { new { Name = "gone", Source = url, StallSeconds = 2 } },
        }));

        var enroll = await Cli.RunAsync(_dir, null, Timeout, "enroll", "--camera", "gone", "--name", "ian", "--gallery", Gallery, "--config", config);

        Assert.Equal(1, enroll.ExitCode);
        Assert.Contains("facewatch enroll: camera 'gone' gave no frame within 4 s (", enroll.Stderr, StringComparison.Ordinal);
        Assert.Contains("ian is not enrolled.", enroll.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(CameraEnrollFixture.Password, enroll.Stdout + enroll.Stderr, StringComparison.Ordinal);
        Assert.Equal(saved, File.ReadAllBytes(Gallery));
    }

    [Fact]
    public async Task An_unknown_camera_a_missing_gallery_and_a_reserved_name_are_refused_before_any_camera_opens()
    {
        var clock = Stopwatch.StartNew();
        var unknown = await Enroll("--camera", "garage", "--name", "ian");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("camera 'garage' is not configured in", unknown.Stderr, StringComparison.Ordinal);
        Assert.Contains("the configured cameras are: 'door', 'hall', 'empty'", unknown.Stderr, StringComparison.Ordinal);

        // As enroll --add: the gallery must exist already (enroll DIR makes it); nothing is created.
        var missing = Path.Combine(_dir, "new.json");
        var none = await Cli.RunAsync(_dir, null, Timeout, "enroll", "--camera", "door", "--name", "ian", "--gallery", missing, "--config", fixture.ConfigFile);
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("does not exist. Create it with 'facewatch enroll <folder>", none.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(missing));

        var reserved = await Enroll("--camera", "door", "--name", "unknown");
        Assert.Equal(1, reserved.ExitCode);
        Assert.Contains("is reserved", reserved.Stderr, StringComparison.Ordinal);

        var half = await Enroll("--camera", "door");
        Assert.Equal(1, half.ExitCode);
        Assert.Contains("needs both --camera NAME and --name PERSON", half.Stderr, StringComparison.Ordinal);

        var seconds = await Enroll("--camera", "door", "--name", "ian", "--seconds", "500");
        Assert.Contains("--seconds 500 is outside 1..120", seconds.Stderr, StringComparison.Ordinal);
        var notForPhotos = await Enroll(TestPaths.Data("faces", "knn", "train"), "--seconds", "5");
        Assert.Contains("--seconds and --max-faces are for enroll --camera NAME --name PERSON.", notForPhotos.Stderr, StringComparison.Ordinal);
        // None of these waited for a camera.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), clock.Elapsed.ToString());
        Assert.DoesNotContain("door:", string.Concat(unknown.Stderr, none.Stderr, reserved.Stderr), StringComparison.Ordinal);
    }
}
