using FaceWatch.Pipeline.Capture;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet.Protocol;

using FaceWatch.Core.Configuration;
using FaceWatch.Core.Health;
using FaceWatch.Pipeline.Publishing;
namespace FaceWatch.Hosting.Mqtt;

public static class MqttServiceCollectionExtensions
{
    /// <summary>
    /// Registers MQTT publishing: options <c>Mqtt</c> and <c>HomeAssistant</c> (validated at start, unknown keys
    /// rejected), the MQTT metrics, and as hosted services the embedded broker, the session (connect loop and outbox) and
    /// the feed (events and camera states into the announcer). Call it before registering the pipeline's hosted
    /// services: hosts stop services in reverse order, so the session then outlives the pipeline and flushes its last events.
    /// Uses the <see cref="IdentityEventHub"/>, <see cref="CameraHealthRegistry"/> and <see cref="TimeProvider"/>
    /// already registered (adds them if missing), and <see cref="IConfiguredCameras"/> when registered.
    /// </summary>
    public static IServiceCollection AddFaceWatchMqtt(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        // Unknown keys and mistyped values are refused naming the key before the binder names .NET types. An explicit ""
        // reaches the options as "" (the daemon's configuration keeps empty values) and fails validation, never becomes the default.
        services.AddOptions<MqttOptions>()
            .Configure(_ => ConfigurationChecks.ThrowIfInvalid<MqttOptions>(configuration.GetSection(MqttOptions.SectionName)))
            .Bind(configuration.GetSection(MqttOptions.SectionName), o => o.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<MqttOptions>>(new KeyedAnnotationsValidator<MqttOptions>(MqttOptions.SectionName));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MqttOptions>, MqttOptionsValidator>());
        services.AddOptions<HomeAssistantOptions>()
            .Configure(_ => ConfigurationChecks.ThrowIfInvalid<HomeAssistantOptions>(configuration.GetSection(HomeAssistantOptions.SectionName)))
            .Bind(configuration.GetSection(HomeAssistantOptions.SectionName), o => o.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<HomeAssistantOptions>>(new KeyedAnnotationsValidator<HomeAssistantOptions>(HomeAssistantOptions.SectionName));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HomeAssistantOptions>, HomeAssistantOptionsValidator>());

        services.TryAddSingleton<IdentityEventHub>();
        services.TryAddSingleton<CameraHealthRegistry>();
        services.TryAddSingleton(TimeProvider.System);

        services.AddMetrics();
        services.TryAddSingleton<MqttMetrics>();
        services.TryAddSingleton(Messages);
        services.TryAddSingleton(Connector);
        services.TryAddSingleton<MqttOutbox>();
        services.TryAddSingleton<HomeAssistantDiscovery>();
        services.TryAddSingleton(sp => new PersonPresence(
            TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<MqttOptions>>().Value.PersonAwaySeconds), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<MqttAnnouncer>();
        services.TryAddSingleton<MqttSession>();
        services.TryAddSingleton<MqttFeed>();

        // Started in this order, stopped in reverse: the broker listens before the session connects, and the feed
        // hands over the pipeline's last events before the session sends its last messages and says offline.
        services.TryAddSingleton<EmbeddedBroker>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());
        services.AddHostedService(sp => sp.GetRequiredService<MqttSession>());
        services.AddHostedService(sp => sp.GetRequiredService<MqttFeed>());
        return services;
    }

    /// <summary>Topics, payloads, QoS and retain flags of everything published, from both sections.</summary>
    private static MqttMessageFactory Messages(IServiceProvider sp)
    {
        var mqtt = sp.GetRequiredService<IOptions<MqttOptions>>().Value;
        var homeAssistant = sp.GetRequiredService<IOptions<HomeAssistantOptions>>().Value;
        return new MqttMessageFactory(
            new MqttTopics(mqtt.TopicPrefix, homeAssistant.DiscoveryPrefix), (MqttQualityOfServiceLevel)mqtt.Qos, mqtt.Snapshots, mqtt.EffectiveClientId);
    }

    /// <summary>The connector, with the last will on our status topic and, with the embedded broker, its own credentials.</summary>
    private static MqttConnector Connector(IServiceProvider sp)
    {
        var embedded = sp.GetService<EmbeddedBroker>();
        return new MqttConnector(
            sp.GetRequiredService<IOptions<MqttOptions>>().Value,
            sp.GetRequiredService<MqttMessageFactory>().Topics,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<MqttConnector>>(),
            embedded is null ? null : () => embedded.OwnCredentials);
    }
}
