using System.CommandLine;
using FaceWatch.Commands;

var root = new RootCommand("FaceWatch: real-time face recognition for cameras, with identity events over MQTT.");
root.Options.Add(CommonOptions.Config);
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(ModelsCommand.Create());
root.Subcommands.Add(DetectCommand.Create());
root.Subcommands.Add(EnrollCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(IdentifyCommand.Create());
root.Subcommands.Add(EmbedCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(MqttSelfTestCommand.Create());
root.Subcommands.Add(ClusterCommand.Create());
root.Subcommands.Add(StrangersCommand.Create());
root.Subcommands.Add(GalleryCommand.Create());

return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
