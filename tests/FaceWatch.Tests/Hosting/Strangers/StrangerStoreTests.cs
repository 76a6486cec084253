using FaceWatch.Core.Numerics;
using FaceWatch.Hosting.Strangers;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FaceWatch.Tests.Hosting.Strangers;

public sealed class StrangerStoreTests : IDisposable
{
    private const double SameFace = 0.5;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"facewatch-strangers-{Guid.NewGuid():N}");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero));
    private readonly CollectingLoggerProvider _logs = new();

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task Kept_visits_come_back_after_a_restart_with_their_crops_and_embeddings()
    {
        string id;
        using (var store = Store())
        {
            var first = Left(Axis(0), faces: 3);
            id = (await store.AddAsync(first, SameFace, default))!;
            Assert.Equal(0, first.Faces!.Count); // taken: the event no longer holds the crops
            Assert.Equal(id, await store.AddAsync(Left(Axis(0, 0.1f), faces: 2), SameFace, default));
            Assert.NotEqual(id, await store.AddAsync(Left(Axis(1), faces: 1), SameFace, default));
        }

        using var reopened = Store();
        var groups = reopened.Groups();
        Assert.Equal(2, groups.Count);
        var group = Assert.Single(groups, g => g.Id == id);
        Assert.Equal(2, group.Visits);
        Assert.Equal(["door"], group.Cameras);
        Assert.Equal(5, group.Crops.Count);
        Assert.Equal(group.Crops.Select(c => c.Quality).OrderDescending(), group.Crops.Select(c => c.Quality));
        Assert.Equal(Jpeg(group.Crops[0].Quality), reopened.ReadCrop(id, group.Crops[0].Index));
        Assert.Null(reopened.ReadCrop(id, 99));
        Assert.Null(reopened.ReadCrop("s-nobody", 0));
        var embeddings = reopened.Embeddings(id);
        Assert.Equal(5, embeddings.Count);
        Assert.All(embeddings, e => Assert.Equal(1, VectorMath.Dot(e, e), 4));
        Assert.Empty(reopened.Embeddings("s-nobody"));
        Assert.Equal(6, CropFiles().Length);
    }

    [Fact]
    public async Task Only_unknown_visits_with_faces_are_kept()
    {
        using var store = Store();
        Assert.Null(await store.AddAsync(Left(Axis(0), faces: 2) with { Name = "alice", Known = true }, SameFace, default));
        Assert.Null(await store.AddAsync(Left(Axis(0), faces: 2) with { Name = "ignored" }, SameFace, default));
        Assert.Null(await store.AddAsync(Left(Axis(0), faces: 0), SameFace, default));

        Assert.Empty(store.Groups());
        Assert.False(Directory.Exists(_folder));
    }

    [Fact]
    public async Task Visits_older_than_the_retention_are_deleted_with_their_files()
    {
        using var store = Store(new StrangerOptions { RetentionDays = 2 });
        var old = (await store.AddAsync(Left(Axis(0), faces: 2), SameFace, default))!;
        _time.Advance(TimeSpan.FromDays(1.5));
        var recent = (await store.AddAsync(Left(Axis(1), faces: 2), SameFace, default))!;
        Assert.Equal(0, await store.EnforceRetentionAsync(default));

        _time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, await store.EnforceRetentionAsync(default));

        Assert.Null(store.Find(old));
        Assert.NotNull(store.Find(recent));
        Assert.Equal(2, CropFiles().Length);
        using var reopened = Store(new StrangerOptions { RetentionDays = 2 });
        Assert.Equal([recent], reopened.Groups().Select(g => g.Id));
    }

    [Fact]
    public async Task Beyond_MaxVisits_the_oldest_visits_go_first()
    {
        using var store = Store(new StrangerOptions { MaxVisits = 2 });
        var first = (await store.AddAsync(Left(Axis(0), faces: 1), SameFace, default))!;
        _time.Advance(TimeSpan.FromMinutes(1));
        var second = (await store.AddAsync(Left(Axis(1), faces: 1), SameFace, default))!;
        _time.Advance(TimeSpan.FromMinutes(1));
        var third = (await store.AddAsync(Left(Axis(2), faces: 1), SameFace, default))!;

        Assert.Equal([third, second], store.Groups().Select(g => g.Id));
        Assert.Null(store.Find(first));
        Assert.Equal(2, CropFiles().Length);
    }

    [Fact]
    public async Task Forget_deletes_the_groups_crops_and_its_embeddings_from_the_index()
    {
        using var store = Store();
        var forgotten = (await store.AddAsync(Left(Axis(0), faces: 3), SameFace, default))!;
        var kept = (await store.AddAsync(Left(Axis(1), faces: 2), SameFace, default))!;
        var files = CropFiles();
        var indexBefore = await File.ReadAllTextAsync(store.IndexPath);

        Assert.True(await store.ForgetAsync(forgotten, default));
        Assert.False(await store.ForgetAsync(forgotten, default));

        Assert.Null(store.Find(forgotten));
        Assert.Empty(store.Embeddings(forgotten));
        Assert.Null(store.ReadCrop(forgotten, 0));
        Assert.Equal(2, CropFiles().Length);
        Assert.Equal(3, files.Count(f => !File.Exists(f)));
        var index = await File.ReadAllTextAsync(store.IndexPath);
        Assert.Contains(forgotten, indexBefore, StringComparison.Ordinal);
        Assert.DoesNotContain(forgotten, index, StringComparison.Ordinal);
        Assert.Contains(kept, index, StringComparison.Ordinal);
        using var reopened = Store();
        Assert.Equal([kept], reopened.Groups().Select(g => g.Id));
    }

    [Fact]
    public async Task A_folder_that_cannot_be_written_costs_the_visit_not_the_daemon()
    {
        Directory.CreateDirectory(_folder);
        await File.WriteAllTextAsync(Path.Combine(_folder, StrangerStore.CropsFolderName), "a file where the crops folder goes");
        using var store = Store();

        Assert.Null(await store.AddAsync(Left(Axis(0), faces: 2), SameFace, default));

        Assert.Empty(store.Groups());
        Assert.Single(_logs.WithEvent(7407));
    }

    [Fact]
    public async Task A_forget_whose_index_cannot_be_written_throws_and_forgets_nothing()
    {
        using var store = Store();
        var id = (await store.AddAsync(Left(Axis(0), faces: 2), SameFace, default))!;
        File.Delete(store.IndexPath);
        Directory.CreateDirectory(store.IndexPath);

        await Assert.ThrowsAnyAsync<IOException>(() => store.ForgetAsync(id, default));

        Assert.NotNull(store.Find(id));
        Assert.Equal(2, CropFiles().Length);
    }

    [Fact]
    public async Task A_damaged_index_is_never_overwritten_and_the_store_keeps_nothing()
    {
        Directory.CreateDirectory(Path.Combine(_folder, StrangerStore.CropsFolderName));
        var index = Path.Combine(_folder, StrangerStore.IndexFileName);
        await File.WriteAllTextAsync(index, "{\"format\":\"facewatch-strangers\",\"version\":1,\"groups\":[{\"id\":");
        var crop = Path.Combine(_folder, StrangerStore.CropsFolderName, $"c-{Guid.NewGuid():N}.jpg");
        await File.WriteAllBytesAsync(crop, [1, 2, 3]);
        var before = await File.ReadAllBytesAsync(index);

        using var store = Store();
        Assert.Null(await store.AddAsync(Left(Axis(0), faces: 2), SameFace, default));
        Assert.Equal(0, await store.EnforceRetentionAsync(default));

        Assert.Contains(index, store.Problem, StringComparison.Ordinal);
        Assert.Empty(store.Groups());
        Assert.Equal(before, await File.ReadAllBytesAsync(index));
        Assert.True(File.Exists(crop));
        Assert.Equal([crop], CropFiles());
        var error = Assert.Single(_logs.WithEvent(7403));
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.Contains(index, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_index_naming_files_outside_the_folder_is_refused()
    {
        string id;
        using (var store = Store())
        {
            id = (await store.AddAsync(Left(Axis(0), faces: 1), SameFace, default))!;
        }

        var index = Path.Combine(_folder, StrangerStore.IndexFileName);
        var text = await File.ReadAllTextAsync(index);
        var file = Path.GetFileName(CropFiles()[0]);
        await File.WriteAllTextAsync(index, text.Replace(file, "../../etc/passwd", StringComparison.Ordinal));

        using var reopened = Store();
        Assert.NotNull(reopened.Problem);
        Assert.Null(reopened.ReadCrop(id, 0));
    }

    [Fact]
    public async Task Crops_no_index_names_are_deleted_at_start_and_nothing_else()
    {
        using (var store = Store())
        {
            await store.AddAsync(Left(Axis(0), faces: 1), SameFace, default);
        }

        var crops = Path.Combine(_folder, StrangerStore.CropsFolderName);
        var orphan = Path.Combine(crops, $"c-{Guid.NewGuid():N}.jpg");
        var foreign = Path.Combine(crops, "holiday.jpg");
        await File.WriteAllBytesAsync(orphan, [1]);
        await File.WriteAllBytesAsync(foreign, [1]);

        using var reopened = Store();
        await reopened.EnforceRetentionAsync(default);

        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(foreign));
        Assert.Equal(2, Directory.GetFiles(crops).Length);
    }

    [Fact]
    public void Disabled_the_book_is_always_there_empty_and_nothing_records()
    {
        using var provider = Services(new() { ["Strangers:Enabled"] = "false", ["Strangers:Folder"] = _folder });
        var book = provider.GetRequiredService<IStrangerBook>();

        Assert.False(book.Enabled);
        Assert.Empty(book.Groups());
        Assert.DoesNotContain(provider.GetServices<IHostedService>(), s => s is StrangerRecorder);
        Assert.False(Directory.Exists(_folder));
    }

    [Fact]
    public void Enabled_the_book_is_the_store_in_the_folder()
    {
        using var provider = Services(new() { ["Strangers:Enabled"] = "true", ["Strangers:Folder"] = _folder });
        var book = provider.GetRequiredService<IStrangerBook>();

        Assert.True(book.Enabled);
        Assert.Equal(Path.GetFullPath(_folder), Assert.IsType<StrangerStore>(book).Folder);
    }

    [Theory]
    [InlineData("Strangers:RetentionDays", "0")]
    [InlineData("Strangers:MaxVisits", "0")]
    [InlineData("Strangers:CropsPerVisit", "11")]
    [InlineData("Strangers:Folder", "   ")]
    public void Bad_settings_fail_at_start_naming_the_key(string key, string value)
    {
        using var provider = Services(new() { ["Strangers:Enabled"] = "true", [key] = value });
        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<StrangerOptions>>().Value);
        Assert.Contains(key, failure.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<FaceWatch.Pipeline.Publishing.IdentityEventHub>();
        services.AddFaceWatchStrangers(configuration);
        return services.BuildServiceProvider();
    }

    private StrangerStore Store(StrangerOptions? options = null)
    {
        options ??= new StrangerOptions();
        options.Folder = _folder;
        return new StrangerStore(Options.Create(options), _time, new Logger<StrangerStore>(_logs));
    }

    private string[] CropFiles()
    {
        var dir = Path.Combine(_folder, StrangerStore.CropsFolderName);
        return Directory.Exists(dir) ? Directory.GetFiles(dir, "*.jpg") : [];
    }

    private static float[] Axis(int axis, float tilt = 0)
    {
        var v = new float[8];
        v[axis] = 1;
        v[7] = tilt;
        return VectorMath.Normalized(v);
    }

    private static byte[] Jpeg(double quality) => [0xFF, 0xD8, (byte)quality, 0xFF, 0xD9];

    private IdentityEvent Left(float[] embedding, int faces) => new()
    {
        EventId = Guid.NewGuid().ToString("N"),
        Event = IdentityEventKind.Left,
        Camera = "door",
        TrackId = 7,
        Name = IdentityVoter.UnknownName,
        Known = false,
        Confidence = 0.9,
        Box = new EventBox(0, 0, 10, 10),
        FrameWidth = 640,
        FrameHeight = 480,
        Timestamp = _time.GetUtcNow(),
        FirstSeen = _time.GetUtcNow().AddSeconds(-10),
        LastSeen = _time.GetUtcNow(),
        LatencyMs = 1,
        Embedding = embedding,
        Faces = new VisitFaces(Enumerable.Range(0, faces).Select(i => new VisitFace(Jpeg(100 - i), embedding, 100 - i, _time.GetUtcNow()))),
    };
}
