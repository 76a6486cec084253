using FaceWatch.Commands;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FaceWatch.Tests.Commands;

/// <summary><c>enroll --camera NAME</c> finds its camera in the daemon's <c>Cameras</c> list, checked as the daemon checks it.</summary>
public sealed class CameraEnrollConfigTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static readonly IConfiguration TwoCameras = Config(
        ("Cameras:0:Name", "door"), ("Cameras:0:Source", "rtsp://admin:hunter2@192.0.2.10/stream"), ("Cameras:0:MinFaceSize", "60"),
        ("Cameras:1:Name", "desk"), ("Cameras:1:Source", "0"));

    [Fact]
    public void The_camera_is_found_by_name_with_its_settings()
    {
        var door = CameraEnrollVerb.FindCamera(TwoCameras, "door", "facewatch.json");
        Assert.Equal(60, door.MinFaceSize);
        Assert.Equal("0", CameraEnrollVerb.FindCamera(TwoCameras, "Desk", "facewatch.json").Source);
    }

    [Fact]
    public void An_unknown_camera_is_refused_naming_it_and_the_configured_ones_without_their_sources()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CameraEnrollVerb.FindCamera(TwoCameras, "garage", "facewatch.json"));
        Assert.Equal("camera 'garage' is not configured in 'facewatch.json'; the configured cameras are: 'door', 'desk'.", ex.Message);

        var none = Assert.Throws<InvalidDataException>(() => CameraEnrollVerb.FindCamera(Config(), "door", null));
        Assert.Contains("the configuration (no --config file given) has no cameras (Cameras:0:Name and Cameras:0:Source", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_camera_list_the_daemon_would_refuse_is_refused_with_the_key_and_no_password()
    {
        var bad = Config(("Cameras:0:Name", "door"), ("Cameras:0:Source", "ftp://admin:hunter2@192.0.2.10/x"), ("Cameras:1:Name", "door"), ("Cameras:1:Source", "1"));
        var ex = Assert.Throws<OptionsValidationException>(() => CameraEnrollVerb.FindCamera(bad, "door", null));
        Assert.Contains("Cameras:0:Source: URL scheme 'ftp' is not supported", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Cameras:1:Name: camera name 'door' is already used by Cameras:0", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);

        var typo = Config(("Cameras:0:Name", "door"), ("Cameras:0:Sourse", "0"));
        Assert.Contains("Cameras:0:Sourse", Assert.Throws<OptionsValidationException>(() => CameraEnrollVerb.FindCamera(typo, "door", null)).Message, StringComparison.Ordinal);
    }
}
