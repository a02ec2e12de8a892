export { JetStreamPublishError, PipelinedPublisher, type PipelinedPublisherOptions, type PubAck, type PublishErrorCode, type PublishOptions } from './pipelined-publisher';
