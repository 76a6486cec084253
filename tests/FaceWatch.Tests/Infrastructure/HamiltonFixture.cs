using FaceWatch.Commands;
using FaceWatch.Hosting;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Models;
namespace FaceWatch.Tests.Infrastructure;

/// <summary>
/// Real parts for the daemon tests, made once per test class: a real RTSP server (GStreamer) looping the Hamilton clip
/// on a free loopback port, the audience cut-away of the clip as its own file, and a gallery file enrolled with the
/// real models from <c>faces/hamilton-gallery</c> plus four more people from <c>faces/knn/train</c> (so the SVM has
/// several classes to choose from).
/// </summary>
public sealed class HamiltonFixture : IAsyncLifetime
{
    public static readonly string Clip = TestPaths.Data("video", "short_hamilton_clip.mp4");

    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-daemon").FullName;

    internal RtspClipServer Server { get; private set; } = null!;

    public string GalleryPath => Path.Combine(_dir, "gallery.json");

    /// <summary>Seconds 8..10 of the clip: the audience (the Obamas and others), never the performer.</summary>
    public string AudienceClip => Path.Combine(_dir, "audience.mp4");

    public async Task InitializeAsync()
    {
        var looped = RtspClipServer.PrepareLoop(Clip, repeats: 30);
        Server = await RtspClipServer.StartAsync(looped);
        MakeAudienceClip();
        EnrollGallery();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private void MakeAudienceClip()
    {
        using var ffmpeg = System.Diagnostics.Process.Start("ffmpeg", ["-v", "error", "-y", "-ss", "8.1", "-i", Clip, "-an", "-c:v", "libx264", "-preset", "veryfast", AudienceClip])!;
        ffmpeg.WaitForExit();
        Assert.Equal(0, ffmpeg.ExitCode);
    }

    private void EnrollGallery()
    {
        var folder = Path.Combine(_dir, "enroll");
        CopyDir(TestPaths.Data("faces", "hamilton-gallery"), folder);
        foreach (var person in new[] { "alex_lacamoire", "biden", "kit_harington", "rose_leslie" })
        {
            CopyDir(TestPaths.Data("faces", "knn", "train", person), Path.Combine(folder, person));
        }

        var sessions = new InferenceSessionFactory(Options.Create(new ModelsOptions { Dir = TestPaths.ModelsDir }));
        using var detector = new MtcnnDetector(sessions, Options.Create(new MtcnnOptions()));
        using var embedder = new OnnxFaceEmbedder(sessions, Options.Create(new EmbeddingOptions()));
        var gallery = DemoGallery.Enroll(folder, detector, embedder, TimeProvider.System, NullLogger.Instance);
        GalleryStore.Save(gallery, GalleryPath);
    }

    private static void CopyDir(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
