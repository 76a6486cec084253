using FaceWatch.Core.Numerics;
using FaceWatch.Hosting.LiveView;
using FaceWatch.Hosting.Strangers;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Workers;
using FaceWatch.Tests.Infrastructure;
using FaceWatch.Tests.Pipeline.Identification;
using FaceWatch.Web;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using OpenCvSharp;
using Xunit.Abstractions;

namespace FaceWatch.Tests.Web;

/// <summary>
/// The review end to end with real parts: a gallery enrolled from real photos with the real models, the real stranger
/// store fed by its real recorder from <c>left</c> events of two visits of a real stranger (aligned crops and embeddings of
/// his photos), the daemon's web server, and headless Chromium clicking Name on the page.
/// </summary>
[Trait("Category", "Slow")]
public sealed class StrangerReviewEndToEndTests(IdentificationFixture faces, ITestOutputHelper output) : IClassFixture<IdentificationFixture>, IDisposable
{
    private static readonly string Jurassic = TestPaths.Data("faces", "jurassic");
    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-review-e2e-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Naming_a_remembered_stranger_on_the_page_enrolls_him_and_deletes_his_crops()
    {
        var people = Path.Combine(_dir, "people");
        foreach (var person in new[] { "alan_grant", "ellie_sattler" })
        {
            var folder = Directory.CreateDirectory(Path.Combine(people, person)).FullName;
            foreach (var file in Directory.GetFiles(Path.Combine(Jurassic, person)).Order(StringComparer.Ordinal).Take(5))
            {
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            }
        }

        var galleryPath = Path.Combine(_dir, "gallery.json");
        GalleryStore.Save(faces.Enroller().Enroll(people, new EnrollmentSettings()).Gallery, galleryPath);
        var folderOfStrangers = Path.Combine(_dir, "strangers");

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Web:Enabled"] = "true",
            ["Web:Urls"] = "http://127.0.0.1:0",
            ["Strangers:Enabled"] = "true",
            ["Strangers:Folder"] = folderOfStrangers,
        });
        builder.Services.AddSingleton(_ =>
        {
            var watcher = new GalleryWatcher(galleryPath, faces.Embedder.Identity, TimeProvider.System, NullLogger.Instance);
            watcher.Load();
            return watcher;
        });
        // What AddFaceWatchPipeline registers around the pipeline, without cameras: the store, its recorder, the review.
        builder.Services.AddFaceWatchStrangers(builder.Configuration);
        builder.Services.AddSingleton(sp => new StrangerActions(sp.GetService<IStrangerBook>(), sp.GetRequiredService<GalleryWatcher>(), TimeProvider.System));
        builder.Services.AddFaceWatchLiveView(builder.Configuration);
        builder.AddFaceWatchWeb();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var hub = host.Services.GetRequiredService<IdentityEventHub>();
            await hub.PublishAsync(Visit(["00000000.jpg", "00000002.jpg", "00000003.jpg"]), CancellationToken.None);
            await hub.PublishAsync(Visit(["00000005.jpg", "00000006.jpg", "00000007.jpg"]), CancellationToken.None);
            var book = host.Services.GetRequiredService<IStrangerBook>();
            Assert.IsType<StrangerStore>(book);
            var deadline = TimeProvider.System.GetUtcNow().AddSeconds(20);
            while (book.Groups().Sum(g => g.Visits) < 2 && TimeProvider.System.GetUtcNow() < deadline)
            {
                await Task.Delay(100);
            }

            var groups = book.Groups();
            output.WriteLine(string.Join("; ", groups.Select(g => $"{g.Id}: {g.Visits} visits, {g.Crops.Count} crops")));
            var group = Assert.Single(groups); // two visits of one man: one group
            Assert.Equal(2, group.Visits);

            var url = host.Services.GetRequiredService<WebLiveViewServer>().BoundUrls[0];
            await using var browser = await ChromiumSession.StartAsync();
            await browser.NavigateAsync(url + "/strangers");
            Assert.True(
                await browser.WaitForAsync($"[...document.querySelectorAll('[data-group=\"{group.Id}\"] .crops img')].filter(i => i.complete && i.naturalWidth === 112).length === {group.Crops.Count}", TimeSpan.FromSeconds(20)),
                "the page did not show the group's aligned crops");
            await browser.EvaluateAsync($"(() => {{ const g = document.querySelector('[data-group=\"{group.Id}\"]'); g.querySelector('input.name').value = 'ian_malcolm'; g.querySelector('button.do-name').click(); return true; }})()");
            Assert.True(await browser.WaitForAsync("document.body.dataset.loaded === '0'", TimeSpan.FromSeconds(30)), "the list did not refresh after naming");

            var saved = GalleryStore.Load(galleryPath, faces.Embedder.Identity);
            var ian = saved.People.Single(p => p.Name == "ian_malcolm");
            Assert.Equal(group.Crops.Count, ian.Faces.Count);
            Assert.All(ian.Faces, f => Assert.StartsWith($"stranger:{group.Id}/", f.Source, StringComparison.Ordinal));
            // A photo of him the store never saw is now his name, live.
            var unseen = Embed("00000009.jpg");
            Assert.Equal("ian_malcolm", host.Services.GetRequiredService<GalleryWatcher>().Identify(unseen).Name);
            Assert.Empty(book.Groups());
            Assert.Empty(Directory.GetFiles(folderOfStrangers, "*.jpg", SearchOption.AllDirectories));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private float[] Embed(string file)
    {
        using var photo = faces.Reader.Read(Path.Combine(Jurassic, "ian_malcolm", file));
        return faces.Embedder.Embed([photo.Faces[0].Crop])[0];
    }

    /// <summary>A stranger's <c>left</c> event as the pipeline makes it: his best aligned crops (JPEG) with their embeddings, and the visit's mean.</summary>
    private IdentityEvent Visit(string[] files)
    {
        var now = TimeProvider.System.GetUtcNow();
        var kept = new List<VisitFace>();
        foreach (var (file, i) in files.Select((f, i) => (f, i)))
        {
            using var photo = faces.Reader.Read(Path.Combine(Jurassic, "ian_malcolm", file));
            var crop = photo.Faces[0].Crop;
            Cv2.ImEncode(".jpg", crop, out var jpeg);
            kept.Add(new VisitFace(jpeg, faces.Embedder.Embed([crop])[0], 1.0 - (i * 0.1), now));
        }

        return new IdentityEvent
        {
            EventId = Guid.NewGuid().ToString("N"),
            Event = IdentityEventKind.Left,
            Camera = "door",
            TrackId = 3,
            Name = IdentityVoter.UnknownName,
            Known = false,
            Confidence = 0.2,
            Box = new EventBox(10, 10, 100, 100),
            FrameWidth = 640,
            FrameHeight = 480,
            Timestamp = now,
            FirstSeen = now.AddSeconds(-8),
            LastSeen = now,
            LatencyMs = 30,
            Embedding = VectorMath.Centroid([.. kept.Select(f => f.Embedding)]),
            Faces = new VisitFaces(kept),
        };
    }
}
