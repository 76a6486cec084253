using FaceWatch.Hosting;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Workers;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using OpenCvSharp;

using FaceWatch.Pipeline.Embedding;
namespace FaceWatch.Tests.EndToEnd;

/// <summary>How the daemon starts, fails and reloads: exit codes and the gallery watcher.</summary>
public class DaemonLifecycleTests
{
    [Fact]
    public async Task A_crashing_stage_stops_the_daemon_with_a_non_zero_exit_code()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([
            new("Models:Dir", TestPaths.ModelsDir),
            new("Mqtt:Enabled", "false"),
            new("Cameras:0:Name", "file"),
            new("Cameras:0:Source", TestPaths.Data("video", "short_hamilton_clip.mp4")),
        ]).Build();
        var builder = DaemonHost.CreateBuilder(configuration);
        builder.Services.AddSingleton<IFaceDetector, ExplodingDetector>();
        using var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Equal(DaemonRunner.CrashedExitCode, await DaemonRunner.RunAsync(host, timeout.Token));
        Assert.False(timeout.IsCancellationRequested, "the host stopped by itself");
    }

    [Fact]
    public async Task A_wrong_setting_fails_the_start_with_the_config_exit_code()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([
            new("Models:Dir", TestPaths.ModelsDir),
            new("Mqtt:Enabled", "false"),
            new("Cameras:0:Name", "door"),
            new("Cameras:0:Sorce", "0"),
        ]).Build();
        using var host = DaemonHost.CreateBuilder(configuration).Build();
        Assert.Equal(DaemonRunner.StartFailedExitCode, await DaemonRunner.RunAsync(host));
    }

    [Fact]
    public void The_gallery_is_reloaded_when_its_file_changes_and_a_broken_file_keeps_the_old_one()
    {
        var dir = Directory.CreateTempSubdirectory("facewatch-gallery").FullName;
        try
        {
            var path = Path.Combine(dir, "gallery.json");
            var model = new EmbeddingModelIdentity("abc123", "m.onnx", 112, 4);
            GalleryStore.Save(Gallery.Create(model, [Person("ada", 1, 0, 0, 0), Person("bob", 0, 1, 0, 0)], DateTimeOffset.UnixEpoch), path);
            var logs = new CollectingLoggerProvider();
            var watcher = new GalleryWatcher(path, model, new FakeTimeProvider(), logs.CreateLogger("gallery"));
            watcher.Load();
            Assert.Equal(2, watcher.Current!.Gallery.People.Count);
            Assert.False(watcher.CheckOnce());

            GalleryStore.Save(Gallery.Create(model, [Person("ada", 1, 0, 0, 0), Person("bob", 0, 1, 0, 0), Person("cy", 0, 0, 1, 0)], DateTimeOffset.UnixEpoch), path);
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(5));
            Assert.True(watcher.CheckOnce());
            Assert.Equal(["ada", "bob", "cy"], watcher.Current!.Gallery.People.Select(p => p.Name));
            Assert.Equal(1, watcher.Reloads);

            File.WriteAllText(path, "{ not a gallery");
            Assert.False(watcher.CheckOnce());
            Assert.False(watcher.CheckOnce());
            Assert.Equal(3, watcher.Current!.Gallery.People.Count);
            Assert.Single(logs.Lines, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Warning && l.Message.Contains("still using the previous gallery", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static EnrolledPerson Person(string name, params float[] direction)
    {
        // Three faces near one direction, so the gallery's classifier and thresholds have something to learn.
        var faces = Enumerable.Range(0, 3).Select(i =>
        {
            var v = direction.Select((x, j) => x + (0.05f * ((i + j) % 3))).ToArray();
            var norm = MathF.Sqrt(v.Sum(x => x * x));
            return new EnrolledFace($"{name}{i}.jpg", v.Select(x => x / norm).ToArray());
        }).ToArray();
        return new EnrolledPerson(name, faces);
    }

    private sealed class ExplodingDetector : IFaceDetector
    {
        public IReadOnlyList<FaceDetection> Detect(Mat image, int? minFaceSize = null) => throw new InvalidOperationException("detector exploded");
    }
}
